"""What a browser session and the server remember: cached loaders and analyses under one model reference (caches;
the Anomalies page's scores in anomaly_caches, whose engine the other pages need not import), the shared sidebar and
its picks (sidebar, picks), who is visiting (roles), the training and map jobs (job_runner, map_jobs) and Home's
warm-up of Keras and the pages' models (warmup). Session-wide keys (the dataset, the model picks, the roles) are read
and written here only.
May use: server, plots and components (for their data types); never sections or pages."""
