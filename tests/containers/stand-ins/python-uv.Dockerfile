# Stand-in for ghcr.io/astral-sh/uv:<version>-python3.11-bookworm: the full
# (not slim) Debian image has git, curl and make; uv sits in /usr/local/bin.
ARG SLIM
FROM ${SLIM}
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       git curl make \
    && rm -rf /var/lib/apt/lists/*
COPY uv uvx /usr/local/bin/
