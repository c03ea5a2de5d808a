import trove as wandb

# artifacts-walkthrough.md, "Updating artifacts": set the description,
# metadata and aliases of a version, then save().
#
# Trove manages `latest` itself (it is always on the newest version): the
# sample's removal of it changes nothing, and the saved aliases are
# ['latest', 'replaced'].

api = wandb.Api()
artifact = api.artifact('bike-dataset:latest')
print("before", artifact.name, repr(artifact.description), artifact.metadata, sorted(artifact.aliases))

# Update the description
artifact.description = "My new description"
# Selectively update metadata keys
artifact.metadata["oldKey"] = "new value"
# Replace the metadata entirely
artifact.metadata = {"newKey": "new value"}
# Add an alias
artifact.aliases.append('best')
# Remove an alias
artifact.aliases.remove('latest')
# Completely replace the aliases
artifact.aliases = ['replaced']
# Persist all artifact modifications
artifact.save()

again = api.artifact(artifact.qualified_name)
print("after", again.name, repr(again.description), again.metadata, sorted(again.aliases))
print("replaced is", api.artifact('bike-dataset:replaced').name)
