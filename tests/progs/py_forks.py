# py_forks.py - a Python program that forks twice: with os.fork, and with the
# raw clone system call (through ctypes), which runs no fork handler.  The
# parent makes 3 bytearrays of 5001 bytes before and one of 7003 after;
# each child makes 2 of 6002 in child_work and leaves with os._exit.
import os, ctypes, sys, signal
def parent_work(): return [bytearray(5001) for _ in range(3)]
def child_work(): return [bytearray(6002) for _ in range(2)]
keep = parent_work()
pid = os.fork()
if pid == 0:
    child_work(); os._exit(0)
os.waitpid(pid, 0)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(56, signal.SIGCHLD, 0, 0, 0, 0)   # raw clone
if r == 0:
    child_work(); os._exit(0)
os.waitpid(r, 0)
keep2 = [bytearray(7003)]
