"""Per-process state of the veRL adapter, kept in its own module so the copy of verl.py that veRL
loads by path (custom_reward_function.path) and `import rlvr.adapters.verl` share one set of clients
and counters."""

import collections
import threading
from typing import Dict, Tuple

lock = threading.Lock()
clients: Dict[Tuple[int, str, float], object] = {}  # (pid, target, timeout) -> VerifierClient; under lock
counters: collections.Counter = collections.Counter()  # under lock
outcomes: collections.Counter = collections.Counter()  # under lock
