"""Neural-network building blocks (``from minigan import nn``): Module, Parameter, layers, convolutions, init."""
from minigan.nn import init
from minigan.nn.conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d, Upsample
from minigan.nn.layers import (
    Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softplus, Tanh, Unflatten,
)
from minigan.nn.module import Module, Parameter
from minigan.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "Flatten", "LeakyReLU",
    "Linear", "MaxPool2d", "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softplus", "Tanh", "Unflatten",
    "Upsample", "init",
]
