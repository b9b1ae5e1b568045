"""The ML pipeline: prepare -> train -> gate -> register -> deploy, plus batch scoring
and serving. Imports go one way, down this list (import-linter checks it: make lint):

  cli/       command lines, `python -m workflows <command>`; one way to refuse
  serving/   the local HTTP server: hosting, alias following, batching, launcher
  flyte/     workflows, tasks, launch plans, schedules: the only flytekit importer
  steps/     the application's steps as plain functions: training and scoring
  gateways/  side effects: the MLflow registry, the deployers, locks
  settings   one typed settings object, read from the environment
  progress   what a step prints while it runs; identity: the project's names
  domain/    pure data science: contract, validation, split, model, metrics, gate

docs/architecture.md draws it.
"""
