"""The live layer: committed changes of an event, turned into fragments and sent to every connected client."""
