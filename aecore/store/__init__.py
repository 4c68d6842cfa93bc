"""Store: models on disk, saved atomically, loaded back, and imported from elsewhere under guard.

`modelstore` is the folder of models (`model.keras` + `meta.json` each, and the training snapshots);
`mapcache` the codes and 2-D maps of whole splits, cached beside each model;
`probecache` the probes' pixel and PCA baselines, computed once per dataset;
`scorecache` each model's anomaly scores of the test set, kept beside it for the Anomalies page;
`serialization` loads them and inspects a foreign `.keras` file in a separate process before anything
in it runs (`importdata`: the dataset an import is measured on, or the data file it came with); `atomic`
writes JSON and array files so that no reader or kill ever meets half of one. May use `aecore.data`,
`aecore.models` and `aecore.analysis`.
"""
