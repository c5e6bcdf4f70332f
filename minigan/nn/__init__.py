"""Neural-network building blocks (``from minigan import nn``): Module, Parameter, layers, init."""
from minigan.nn import init
from minigan.nn.layers import (
    Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softplus, Tanh, Unflatten,
)
from minigan.nn.module import Module, Parameter
from minigan.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "Dropout", "Flatten", "LeakyReLU", "Linear", "Module", "Parameter", "ReLU",
    "Sequential", "Sigmoid", "Softplus", "Tanh", "Unflatten", "init",
]
