import trove as wandb

# artifacts-walkthrough.md, "Cleaning up unused versions": delete every
# version without an alias.
#
# Filled in here: the type and name, those of the race artifact of
# walkthrough_1_log.py (ten versions, only the last has an alias, latest).

api = wandb.Api()
artifact_type, artifact_name = "dataset", "race"  # fill in the desired type + name
for version in api.artifact_versions(artifact_type, artifact_name):
    # Clean up all versions that don't have an alias such as 'latest'.
    if len(version.aliases) == 0:
        version.delete()

print("left", [(v.name, v.aliases) for v in api.artifact_versions(artifact_type, artifact_name)])
