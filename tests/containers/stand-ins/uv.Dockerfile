# Stand-in for ghcr.io/astral-sh/uv:<version>: the two binaries at the root.
FROM scratch
COPY uv uvx /
