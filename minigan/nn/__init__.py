"""Neural-network building blocks (``from minigan import nn``): Module, Parameter, layers, convolutions, losses,
init."""
from minigan.nn import init
from minigan.nn.conv import AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d, Upsample
from minigan.nn.embedding import Embedding
from minigan.nn.layers import (
    Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh, Unflatten,
)
from minigan.nn.loss import BCELoss, BCEWithLogitsLoss, L1Loss, MSELoss
from minigan.nn.module import Module, Parameter
from minigan.nn.normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout",
    "Embedding", "Flatten", "L1Loss", "LeakyReLU", "Linear", "MSELoss", "MaxPool2d", "Module", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "Softplus", "Tanh", "Unflatten", "Upsample", "init",
]
