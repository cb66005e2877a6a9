# The Python cases of tests/python.bats, each allocating a size of its own
# that stays live to the end (os._exit skips the interpreter's clean-up).
import asyncio
import json
import os
import sys
import threading

keep = []


def worker_one():
    keep.append(bytearray(111111))


def worker_two():
    keep.append(bytearray(222222))


def split_threads():
    for target in (worker_one, worker_two):
        t = threading.Thread(target=target)
        t.start()
        t.join()


def generator():
    yield bytearray(333333)


def use_generator():
    keep.extend(generator())


async def coroutine():
    await asyncio.sleep(0)
    return bytearray(444444)


def use_coroutine():
    keep.append(asyncio.run(coroutine()))


def recurse(n):
    if n == 0:
        return bytearray(555555)
    return recurse(n - 1)


def parse():
    keep.append(json.loads('["' + "x" * 66666 + '"]'))


def exec_replaced():
    """Code objects compiled, run, freed: the next one lands where they were."""
    addresses = set()
    reused = 0
    for i in range(40):
        name = "f%02d" % i
        source = "\n" * (i % 5) + "def %s():\n    return bytearray(%d)\n" % (name, 700000 + i)
        space = {}
        exec(source, {}, space)  # globals apart: no cycle keeps the function
        code = id(space[name].__code__)
        reused += code in addresses
        addresses.add(code)
        keep.append(space[name]())
        del space
    print("reused", reused, file=sys.stderr)


def main():
    split_threads()
    use_generator()
    use_coroutine()
    sys.setrecursionlimit(5000)
    keep.append(recurse(1000))
    parse()
    exec_replaced()
    sys.stderr.flush()
    os._exit(0)


main()
