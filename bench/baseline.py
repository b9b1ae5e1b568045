"""The seed-style baseline `make bench` compares against: the same steps written
the way the 2021 workshop did. Deliberately naive, do not "fix" it:

- every heavy library imported eagerly at the top;
- tasks hand data on as CSV files in a hand-made temp folder;
- pyplot for the plots; cloudpickle, the 2021 default, for the model;
- MLflow infers the model's requirements (a subprocess that imports the model).

Run as the seed ran it: `pyflyte run bench/baseline.py baseline_pipeline`.
"""

import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import mlflow.sklearn
import pandas as pd
from flytekit import task, workflow
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split

MODEL_NAME = "baseline-classifier"
WORKDIR = os.path.join(tempfile.gettempdir(), "baseline-pipeline")


@task
def load_data() -> str:
    os.makedirs(WORKDIR, exist_ok=True)
    frame = load_breast_cancer(as_frame=True).frame
    if frame.isna().any().any():
        raise ValueError("data has NaN")
    path = os.path.join(WORKDIR, "data.csv")
    frame.to_csv(path, index=False)
    return path


@task
def split_data(path: str) -> str:
    frame = pd.read_csv(path)
    train, test = train_test_split(frame, test_size=0.25, random_state=42, stratify=frame.target)
    train.to_csv(os.path.join(WORKDIR, "train.csv"), index=False)
    test.to_csv(os.path.join(WORKDIR, "test.csv"), index=False)
    return WORKDIR


@task
def train_model(folder: str, min_auc: float) -> str:
    train = pd.read_csv(os.path.join(folder, "train.csv"))
    test = pd.read_csv(os.path.join(folder, "test.csv"))
    x_train, y_train = train.drop(columns="target"), train.target
    x_test, y_test = test.drop(columns="target"), test.target
    with mlflow.start_run() as run:
        model = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=-1)
        model.fit(x_train, y_train)
        auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
        mlflow.log_param("n_estimators", 100)
        mlflow.log_metric("roc_auc", auc)
        RocCurveDisplay.from_estimator(model, x_test, y_test)
        plt.savefig(os.path.join(folder, "roc_curve.png"))
        ConfusionMatrixDisplay.from_estimator(model, x_test, y_test)
        plt.savefig(os.path.join(folder, "confusion_matrix.png"))
        mlflow.log_artifact(os.path.join(folder, "roc_curve.png"))
        mlflow.log_artifact(os.path.join(folder, "confusion_matrix.png"))
        mlflow.sklearn.log_model(
            model, name="model", input_example=x_test.head(5), serialization_format="cloudpickle"
        )
        if auc < min_auc:
            raise ValueError(f"AUC {auc} below {min_auc}")
        return run.info.run_id


@task
def register_and_deploy(run_id: str) -> str:
    version = mlflow.register_model(f"runs:/{run_id}/model", MODEL_NAME)
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(MODEL_NAME, "development", version.version)
    loaded = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@development")
    test = pd.read_csv(os.path.join(WORKDIR, "test.csv"))
    loaded.predict(test.drop(columns="target").head(5))
    return str(version.version)


@workflow
def baseline_pipeline(min_auc: float = 0.95) -> str:
    path = load_data()
    folder = split_data(path=path)
    run_id = train_model(folder=folder, min_auc=min_auc)
    return register_and_deploy(run_id=run_id)
