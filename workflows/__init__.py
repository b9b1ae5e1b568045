"""The ML pipeline: prepare -> train -> gate -> register -> deploy.

Layers, imported in one direction only:
  domain/    pure data science: schema, split, training, evaluation, gate
  gateways/  side effects: the MLflow registry and the deployers
  settings   one typed settings object read from the environment
  tasks      thin Flyte tasks that wire domain and gateways together
  pipeline   the Flyte workflow
"""
