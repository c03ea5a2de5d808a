import trove as wandb

# artifacts-walkthrough.md, "Traversing the artifact graph": from an
# artifact to the run that logged it and the runs that used it, and from a
# run to the artifacts it logged and used.
#
# Filled in here: the sample's 'data:v0' is bike-dataset:v0 (logged by
# walkthrough_1_log.py, used by walkthrough_2_use.py and
# walkthrough_6_download.py); its 'run' is the run that logged it.

api = wandb.Api()
artifact = api.artifact('bike-dataset:v0')

# Walk up and down the graph from an artifact:
producer_run = artifact.logged_by()
consumer_runs = artifact.used_by()
print("bike-dataset:v0 logged by a", producer_run.job_type, "run")
print("used by", sorted(r.job_type for r in consumer_runs))

# Walk up and down the graph from a run:
run = producer_run
logged_artifacts = run.logged_artifacts()
used_artifacts = run.used_artifacts()
print("that run logged", sorted(a.name for a in logged_artifacts))
print("and used", sorted(a.name for a in used_artifacts))
