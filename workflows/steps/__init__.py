"""The application's steps as plain functions, with no Flyte in them: each joins
pure domain code to the gateways' side effects. Flyte tasks call them; so can tests.

training  prepare, train, gate, register, challenge, deploy
scoring   batch scoring with the model @<domain> points at, and its drift report
"""
