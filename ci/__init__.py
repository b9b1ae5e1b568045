"""CI/CD core: git ref -> Flyte domain and version, then package, register, launch.

`python -m ci --help` lists the commands. Every caller (GitHub Actions, Argo,
the Makefile) goes through this one CLI so the promotion rules live in one place.
"""
