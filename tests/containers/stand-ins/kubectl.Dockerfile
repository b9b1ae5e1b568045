# Stand-in for registry.k8s.io/kubectl:<version>: the binary in /bin.
FROM scratch
COPY kubectl /bin/kubectl
