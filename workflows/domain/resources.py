"""Kubernetes resource quantities ("250m", "2", "512Mi", "1Gi"), read as numbers. Pure.

Only the forms the pipeline's settings and the sandbox's manifests use: CPU as
cores or millicores, memory as bytes with a decimal or binary suffix. What
Kubernetes would take but these do not (exponents like "1e3", "u"/"n" CPU
suffixes) is refused with the value named, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CPU = re.compile(r"^(?:(\d+)m|(\d+(?:\.\d{1,3})?))$")
_MEMORY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {
    None: 1,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}  # fmt: skip


def millicores(quantity: str | int | float) -> int:
    """CPU quantity -> millicores: "250m" -> 250, "2" -> 2000, "0.5" -> 500.

    Raises ValueError naming the quantity when it is not CPU-shaped or is zero.
    """
    text = str(quantity).strip()
    match = _CPU.match(text)
    if not match:
        raise ValueError(f"CPU {text!r}: write cores ('2', '0.5') or millicores ('250m')")
    value = int(match[1]) if match[1] else round(float(match[2]) * 1000)
    if value <= 0:
        raise ValueError(f"CPU {text!r}: must be more than zero")
    return value


def memory_bytes(quantity: str | int) -> int:
    """Memory quantity -> bytes: "512Mi" -> 536870912, "1G" -> 10**9.

    Raises ValueError naming the quantity when it is not memory-shaped or is zero.
    """
    text = str(quantity).strip()
    match = _MEMORY.match(text)
    if not match:
        raise ValueError(f"memory {text!r}: write a whole number with Ki/Mi/Gi or k/M/G")
    value = int(match[1]) * _MEMORY_UNITS[match[2]]
    if value <= 0:
        raise ValueError(f"memory {text!r}: must be more than zero")
    return value


@dataclass(frozen=True)
class PodResources:
    """A pod's Kubernetes requests and limits: CPU ("250m", "2"), memory ("512Mi")."""

    cpu: str
    memory: str
    cpu_limit: str
    memory_limit: str

    def check(self) -> PodResources:
        """This, when every quantity parses and no request exceeds its limit.

        Raises ValueError naming the first quantity that is wrong.
        """
        if millicores(self.cpu) > millicores(self.cpu_limit):
            raise ValueError(f"CPU request {self.cpu} is above its limit {self.cpu_limit}")
        if memory_bytes(self.memory) > memory_bytes(self.memory_limit):
            raise ValueError(f"memory request {self.memory} is above its limit {self.memory_limit}")
        return self
