"""Neural-network building blocks (``from minigan import nn``): Module, Parameter, layers, init."""
from minigan.nn import init
from minigan.nn.module import Module, Parameter
