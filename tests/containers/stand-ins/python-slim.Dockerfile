# Stand-in for python:<3.11.x>-slim-bookworm, built on a debootstrap of bookworm
# (the official image's release): Debian's own Python 3.11 linked where the
# official image installs its own, pip without the PEP 668 guard (the official
# image's pip installs into the system Python too), and this machine's CA
# bundle so builds reach the package index through its TLS proxy.
ARG ROOTFS
FROM ${ROOTFS}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN set -eu; \
    for name in python3.11 python3 python; do ln -sf /usr/bin/python3.11 /usr/local/bin/$name; done; \
    for name in pip pip3 pip3.11; do ln -sf /usr/bin/pip3 /usr/local/bin/$name; done; \
    rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
# SSL_CERT_FILE: uv reads its roots from there (the official image needs none).
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
