import trove as wandb

# artifacts-walkthrough.md, "Versions and aliases": use the latest version of
# a dataset, and log a model with a custom alias next to latest.
#
# Not in the sample: the run, and the file model.h5 (written here).

with open("model.h5", "w") as f:
    f.write("weights of the checkpoint best on AP-50\n")

run = wandb.init(job_type='train')

artifact = run.use_artifact('bike-dataset:latest')
print("used", artifact.name, "aliases", sorted(artifact.aliases))

artifact = wandb.Artifact('run-3nq3ctyy-bike-model', type='model')
artifact.add_file('model.h5')
run.log_artifact(artifact, aliases=['latest','best-ap50'])
print("logged", artifact.name, "aliases", sorted(artifact.aliases))

best = wandb.Api().artifact('run-3nq3ctyy-bike-model:best-ap50')
print("best-ap50 is", best.name)
run.finish()
