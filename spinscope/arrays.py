"""The array type the learned parts pass around: float32 rows (sentence or token vectors,
features, probabilities), declared once."""

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
