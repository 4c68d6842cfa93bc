"""Store: models on disk, saved atomically, loaded back, and imported from elsewhere under guard.

`modelstore` is the folder of models (`model.keras` + `meta.json` each); `serialization` loads them and
inspects a foreign `.keras` file in a separate process before anything in it runs. May use
`aecore.data`, `aecore.models` and `aecore.analysis`.
"""
