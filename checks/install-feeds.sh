#!/usr/bin/env bash
# Installs what checks/feeds.py needs on a fresh Debian machine, as root: Python 3 with lxml
# (strict XML parsing) and feedparser (the Universal Feed Parser), from Debian's own packages
# (Debian's system Python refuses a plain `pip install`, PEP 668).
#
# The W3C Feed Validator itself is on no package registry (not PyPI, npm or Debian): to run it
# as well, check out the w3c/feedvalidator repository, install its requirements (Debian:
# python3-html5lib python3-rdflib; lxml is below) and give checks/feeds.py its src folder with
# --w3c DIR or W3C_FEEDVALIDATOR=DIR. See README.md, "Feed validation".
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-lxml python3-feedparser
# Another Python first on PATH (pyenv, a virtualenv) does not see Debian's packages: give it
# the same two from PyPI.
if ! python3 -c 'import feedparser, lxml.etree' 2>/dev/null; then
  python3 -m pip install --quiet lxml feedparser
fi
python3 -c 'import feedparser, lxml.etree; print("feed checks ready: feedparser", feedparser.__version__, "lxml", lxml.etree.__version__)'
