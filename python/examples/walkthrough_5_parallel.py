import trove as wandb

# artifacts-walkthrough.md, "Adding files from parallel runs": several runs
# of one group each upsert a part of one artifact; a last run finishes it.
#
# Changed from the sample: ray is replaced by multiprocessing (one process
# per writer, as ray.remote starts one task each), and the group name is
# passed to each writer as an argument (ray ships the closure's globals to
# its workers; a process started by the "spawn" or "forkserver" method would
# compute its own).

import time
import multiprocessing

artifact_type = "dataset"
artifact_name = "parallel-artifact"
table_name = "distributed_table"
parts_path = "parts"
num_parallel = 5


def train(i, group_name):
    """
    Our writer job. Each writer will add one image to the artifact.
    """
    with wandb.init(group=group_name) as run:
        artifact = wandb.Artifact(name=artifact_name, type=artifact_type)

        # Add data to a wandb table. In this case we use example data
        table = wandb.Table(columns=["a", "b", "c"], data=[[i, i*2, 2**i]])

        # Add the table to folder in the artifact
        artifact.add(table, "{}/table_{}".format(parts_path, i))

        # Upserting the artifact creates or appends data to the artifact
        run.upsert_artifact(artifact)


if __name__ == "__main__":
    # Each batch of parallel writers should have its own
    # unique group name.
    group_name = "writer-group-{}".format(round(time.time()))

    # Launch your runs in parallel
    writers = [multiprocessing.Process(target=train, args=(i, group_name)) for i in range(num_parallel)]
    for w in writers:
        w.start()
    # Join on all the writers to make sure their files have
    # been added before finishing the artifact.
    for w in writers:
        w.join()
    failed = [w.exitcode for w in writers if w.exitcode != 0]
    if failed:
        raise SystemExit("writers failed with exit codes {}".format(failed))

    # Once all the writers are finished, finish the artifact
    # to mark it ready.
    with wandb.init(group=group_name) as run:
        artifact = wandb.Artifact(artifact_name, type=artifact_type)

        # Create a "PartitionTable" pointing to the folder of tables
        # and add it to the artifact.
        artifact.add(wandb.data_types.PartitionedTable(parts_path), table_name)

        # Finish artifact finalizes the artifact, disallowing future "upserts"
        # to this version.
        run.finish_artifact(artifact)

    print("finished", artifact.name)
    for entry in artifact.files():
        print("  ", entry.path)
    for i in range(num_parallel):
        table = artifact.get("{}/table_{}".format(parts_path, i))
        print("table_{}".format(i), "c =", table.get_column("c"))
