"""spinscope's version, in a module of its own: the data model and the outputs name it
without importing the package, whose `__init__` imports the pipeline."""

__version__ = "0.1.0"
