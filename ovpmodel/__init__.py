"""ovpmodel: the networks of the over-parameterization papers, exactly as defined,
instrumented (forward traces, implicit backward operators) and trial-batched.

Knows nothing of the claim engine, pytest or Hypothesis.  All randomness flows
from explicit ``torch.Generator`` objects built from seeds.
"""

from ._base import Trace
from .fc import ConvNet, FCNet, ResNet
from .rnn import ElmanRNN
from .zczg import ZCZGNet

__all__ = ["Trace", "FCNet", "ResNet", "ConvNet", "ZCZGNet", "ElmanRNN"]
