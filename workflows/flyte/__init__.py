"""The Flyte layer: the only package that imports flytekit.

pipeline   the workflows and their launch plans (what CI registers)
tasks      thin tasks: read settings, call a step (workflows/steps), hand typed values on
schedules  when the launch plans run (no flytekit: `python -m ci` reads it too)
"""
