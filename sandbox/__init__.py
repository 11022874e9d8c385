"""A local Telegram Bot API emulator with a control API for tests, demos and benchmarks."""

from sandbox.client import EmulatorClient
from sandbox.emulator import Emulator
from sandbox.server import RunningEmulator, create_app, running_emulator, serve

__all__ = [
    "Emulator",
    "EmulatorClient",
    "RunningEmulator",
    "create_app",
    "running_emulator",
    "serve",
]
