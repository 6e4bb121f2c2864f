"""Training: `spinscope train <layer> --data DIR` fits a layer's small heads over the frozen
encoder and writes them, with a model card, into `spinscope/models/<layer>/`.

Training needs the `train` extra (scikit-learn); nothing here is imported at run time.
"""
