"""The project's identity: the one file that names this project.

Generated from the copier template; every other file (settings, ci, Makefile
through `python -m ci`) reads these names from here instead of repeating them.
"""

PROJECT_NAME = "MLOps Reference"
PROJECT_SLUG = "mlops-reference"
MODEL_NAME = "mlops-reference-classifier"
FLYTE_PROJECT = "mlops-reference"
DEFAULT_MIN_AUC = 0.95
# The quality gate when GATE is unset, "<metric><direction><threshold>" (domain/gate.py);
# "" = ROC AUC >= DEFAULT_MIN_AUC for classification, r2>=0.5 for regression.
DEFAULT_GATE = ""
CONTAINER_REGISTRY = "k3d-registry.localhost:5000"
IMAGE_REPOSITORY = f"{CONTAINER_REGISTRY}/{PROJECT_SLUG}"
