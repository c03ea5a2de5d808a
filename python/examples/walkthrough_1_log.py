import trove as wandb

# artifacts-walkthrough.md, sections 1 and 2: initialize a run, create an
# artifact, log it; then log in a loop (every iteration a new version).
#
# Not in the sample: the file it adds, bicycle-data.h5, is written here (a
# few bytes stand in for the HDF5 file), and the loop's "add files" comment
# is filled with one small file per iteration (each version needs content of
# its own: identical content is the same version).

with open("bicycle-data.h5", "w") as f:
    f.write("station,bikes\nriverside,12\nmarket,7\n")

# 1. Initialize a run
run = wandb.init(job_type='train')

# 2. Create an artifact
artifact = wandb.Artifact('bike-dataset', type='dataset')
# Add a file to the artifact's contents
artifact.add_file('bicycle-data.h5')
# Save the artifact version to W&B and mark it as the output of this run
run.log_artifact(artifact)
print("logged", artifact.name, artifact.digest)

# Logging the same content again makes no new version.
again = wandb.Artifact('bike-dataset', type='dataset')
again.add_file('bicycle-data.h5')
run.log_artifact(again)
print("logged again", again.name)

for i in range(10):
    a = wandb.Artifact('race', type='dataset', metadata={
        "index": i,
    })
    # ... add files to artifact a ...
    with a.new_file("lap.txt") as f:
        f.write("lap {}\n".format(i))
    run.log_artifact(a)
    # Trove logs synchronously, so version vN holds index N.
    print("logged", a.name, "index", a.metadata["index"])

run.finish()
print("run", run.name, run.state)
