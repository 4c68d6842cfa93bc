"""Training: one `train` call for every family, and training as jobs in processes of their own.

`trainer` trains any family with progress, cancel, NaN stop and metrics (and across machines), on what every training loop
shares in `loop` (config, progress, the reporting callback, schedules); `cards`
writes what the store keeps of a run (data, time, metrics, probes); `snapshots` records the codes while
it trains (the timeline); `stacked` pretrains the stacked family layer by layer; `phototraining` trains the photo
family on noisy patches of whole photos (`trainer.own_trainer` names it for the family table's `extra["trainer"]`);
`jobs` records, queues and cancels training jobs in the store's jobs folder and starts their processes; `worker` is
what runs in such a process, and `afterqueue` what it keeps for the pages once its queue is empty. May use every room below it: `aecore.data`, `aecore.models`, `aecore.analysis`,
`aecore.store`, `aecore.photo`.
"""
