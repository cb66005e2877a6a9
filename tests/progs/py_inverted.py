def a():
    return 1000000 * "a"

def a1():
    return 1000000 * "a"

def b():
    return a()

def c():
    return b()

def d():
    return b()

def f():
    return g()

def e():
    return g()

def g():
    return c()

def main():
    a = a1()
    x = d()
    y = e()
    z = f()
    return (x,y,z,a)

main()
