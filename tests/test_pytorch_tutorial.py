"""PyTorch code runs unchanged: the official PyTorch DCGAN tutorial on minigan.

``TUTORIAL_MODEL`` and ``TUTORIAL_LOOP`` are the model, initialisation and training-loop code of
pytorch/tutorials ``beginner_source/dcgan_faces_tutorial.py`` (BSD-3-Clause), line for line, at small sizes
(ngf = ndf = 8, batch 4, 3 iterations) and without what needs torchvision or a display: the data set, the plots
and ``vutils.make_grid``, which the loop's two marked lines replace.  The code runs with the tutorial's imports
(``IMPORTS_TORCH``) or with the only change minigan needs (``IMPORTS_MINIGAN``).  The first test runs it on
minigan; the second, where PyTorch is installed, runs both from the same weights, data and noise and compares
the tutorial's five numbers per iteration.
"""
import numpy as np
import pytest

import minigan as mg

IMPORTS_TORCH = """
import torch
import torch.nn as nn
import torch.optim as optim
"""

IMPORTS_MINIGAN = """
import minigan as torch
from minigan import nn, optim
"""

TUTORIAL_MODEL = """
# Number of channels in the training images. For color images this is 3
nc = 3
# Size of z latent vector (i.e. size of generator input)
nz = 100
# Size of feature maps in generator
ngf = 8
# Size of feature maps in discriminator
ndf = 8
# Number of training epochs
num_epochs = 1
# Learning rate for optimizers
lr = 0.0002
# Beta1 hyperparam for Adam optimizers
beta1 = 0.5
# Number of GPUs available. Use 0 for CPU mode.
ngpu = 0

# Decide which device we want to run on
device = torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")

# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)

# Generator Code

class Generator(nn.Module):
    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d( nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d( ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 16 x 16
            nn.ConvTranspose2d( ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 32 x 32
            nn.ConvTranspose2d( ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 64 x 64
        )

    def forward(self, input):
        return self.main(input)

# Create the generator
netG = Generator(ngpu).to(device)

# Handle multi-gpu if desired
if (device.type == 'cuda') and (ngpu > 1):
    netG = nn.DataParallel(netG, list(range(ngpu)))

# Apply the weights_init function to randomly initialize all weights
#  to mean=0, stdev=0.2.
netG.apply(weights_init)

# Print the model
print(netG)

class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        return self.main(input)

# Create the Discriminator
netD = Discriminator(ngpu).to(device)

# Handle multi-gpu if desired
if (device.type == 'cuda') and (ngpu > 1):
    netD = nn.DataParallel(netD, list(range(ngpu)))

# Apply the weights_init function to randomly initialize all weights
#  to mean=0, stdev=0.2.
netD.apply(weights_init)

# Print the model
print(netD)

# Initialize BCELoss function
criterion = nn.BCELoss()

# Create batch of latent vectors that we will use to visualize
#  the progression of the generator
fixed_noise = torch.randn(64, nz, 1, 1, device=device)

# Establish convention for real and fake labels during training
real_label = 1.
fake_label = 0.

# Setup Adam optimizers for both G and D
optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
"""

TUTORIAL_LOOP = """
# Training Loop

# Lists to keep track of progress
img_list = []
G_losses = []
D_losses = []
iters = 0

print("Starting Training Loop...")
# For each epoch
for epoch in range(num_epochs):
    # For each batch in the dataloader
    for i, data in enumerate(dataloader, 0):

        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        ## Train with all-real batch
        netD.zero_grad()
        # Format batch
        real_cpu = data[0].to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        # Forward pass real batch through D
        output = netD(real_cpu).view(-1)
        # Calculate loss on all-real batch
        errD_real = criterion(output, label)
        # Calculate gradients for D in backward pass
        errD_real.backward()
        D_x = output.mean().item()

        ## Train with all-fake batch
        # Generate batch of latent vectors
        noise = torch.randn(b_size, nz, 1, 1, device=device)
        # Generate fake image batch with G
        fake = netG(noise)
        label.fill_(fake_label)
        # Classify all fake batch with D
        output = netD(fake.detach()).view(-1)
        # Calculate D's loss on the all-fake batch
        errD_fake = criterion(output, label)
        # Calculate the gradients for this batch
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        # Add the gradients from the all-real and all-fake batches
        errD = errD_real + errD_fake
        # Update D
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)  # fake labels are real for generator cost
        # Since we just updated D, perform another forward pass of all-fake batch through D
        output = netD(fake).view(-1)
        # Calculate G's loss based on this output
        errG = criterion(output, label)
        # Calculate gradients for G
        errG.backward()
        D_G_z2 = output.mean().item()
        # Update G
        optimizerG.step()

        # Output training stats
        if i % 50 == 0:
            print('[%d/%d][%d/%d]\\tLoss_D: %.4f\\tLoss_G: %.4f\\tD(x): %.4f\\tD(G(z)): %.4f / %.4f'
                  % (epoch, num_epochs, i, len(dataloader),
                     errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
        stats.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))  # not the tutorial's: for the test

        # Save Losses for plotting later
        G_losses.append(errG.item())
        D_losses.append(errD.item())

        # Check how the generator is doing by saving G's output on fixed_noise
        if (iters % 500 == 0) or ((epoch == num_epochs-1) and (i == len(dataloader)-1)):
            with torch.no_grad():
                fake = netG(fixed_noise).detach().cpu()
            img_list.append(fake)  # the tutorial's vutils.make_grid(fake, padding=2, normalize=True)

        iters += 1
"""

BATCH, ITERATIONS = 4, 3


class _Noise:
    """The library bound to ``torch``, whose ``randn`` hands out the given noise batches in turn: so PyTorch and
    minigan, whose random generators differ, see the same z in the tutorial's own ``torch.randn`` line."""

    def __init__(self, library, noises):
        self._library, self._noises = library, list(noises)

    def __getattr__(self, name):
        return getattr(self._library, name)

    def randn(self, *shape, device=None):
        return self._noises.pop(0)


def build(imports: str) -> dict:
    """The tutorial's networks, initialisation, loss and optimizers under ``imports``: its namespace."""
    namespace = {}
    exec(imports + TUTORIAL_MODEL, namespace)
    return namespace


def train(namespace: dict, images, noises) -> list:
    """The tutorial's loop over ``images`` (one batch each) with ``noises`` as z: its five numbers per iteration."""
    namespace.update(dataloader=[(image, None) for image in images], stats=[],
                     torch=_Noise(namespace["torch"], noises))
    exec(TUTORIAL_LOOP, namespace)
    return namespace["stats"]


def data(seed: int = 0):
    """``ITERATIONS`` batches of images in [−1, 1] (the tutorial normalises to that range) and of noise z."""
    rng = np.random.default_rng(seed)
    images = [rng.uniform(-1, 1, (BATCH, 3, 64, 64)).astype(np.float32) for _ in range(ITERATIONS)]
    noises = [rng.standard_normal((BATCH, 100, 1, 1)).astype(np.float32) for _ in range(ITERATIONS)]
    return images, noises


def test_the_dcgan_tutorial_runs_on_minigan_with_only_its_imports_changed(capsys):
    mg.manual_seed(999)
    namespace = {}
    images, _ = data()
    namespace["dataloader"] = [(mg.tensor(image), None) for image in images]
    namespace["stats"] = []
    exec(IMPORTS_MINIGAN + TUTORIAL_MODEL + TUTORIAL_LOOP, namespace)
    assert namespace["torch"] is mg and namespace["device"] == "cpu" and namespace["device"].type == "cpu"
    stats = np.array(namespace["stats"])
    assert stats.shape == (ITERATIONS, 5) and np.all(np.isfinite(stats))
    assert np.all((stats[:, 2:] > 0) & (stats[:, 2:] < 1))  # D(x), D(G(z)) are probabilities
    for name in ("errD", "errG", "output", "fake", "label", "noise", "fixed_noise"):
        assert namespace[name].dtype == np.float32, name
    for net in (namespace["netG"], namespace["netD"]):
        assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())
    assert namespace["img_list"][0].shape == (64, 3, 64, 64)
    printed = capsys.readouterr().out
    assert "ConvTranspose2d" in printed and "Loss_D:" in printed


def test_the_dcgan_tutorial_gives_pytorchs_numbers_from_the_same_weights_data_and_noise():
    torch = pytest.importorskip("torch")
    torch.manual_seed(999)
    reference, ours = build(IMPORTS_TORCH), build(IMPORTS_MINIGAN)
    for net in ("netG", "netD"):  # PyTorch's weight layouts and state-dict keys are minigan's
        ours[net].load_state_dict({k: v.detach().numpy() for k, v in reference[net].state_dict().items()})
    images, noises = data()
    expected = train(reference, [torch.from_numpy(x) for x in images], [torch.from_numpy(z) for z in noises])
    got = train(ours, [mg.tensor(x) for x in images], [mg.tensor(z) for z in noises])
    names = ("errD", "errG", "D_x", "D_G_z1", "D_G_z2")
    relative = np.abs(np.array(got) - np.array(expected)) / np.abs(np.array(expected))
    print("relative differences per iteration:", dict(zip(names, relative.T.round(8).tolist())))
    assert np.all(relative < 1e-3), dict(zip(names, relative.T.tolist()))
