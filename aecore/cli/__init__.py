"""The command line, `python -m aecore`: datasets, families, train, jobs, list, evaluate, timeline, anomaly,
denoise, export, project, import, rename, delete.

`main` reads the arguments (the parser and the error handling); `dataset_commands` holds datasets (list,
add, remove); `training_commands` families, train and jobs; `model_commands` the commands on stored models;
`map_commands` `project`, the whole-split maps; `photo_commands` `restore` (colourise, unwatermark). The top room: it may use
every other room, and nothing in aecore imports it.

Results go to stdout (the last line of `train` and `evaluate` is one JSON object); progress and
errors go to stderr; an error is one line and a non-zero exit, never a traceback from inside Keras.
"""
