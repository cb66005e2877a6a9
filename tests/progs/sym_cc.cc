// sym_cc - C++ names: a method in a namespace, a constructor, a template,
// a lambda and a standard library template calling into user code.
#include "sym_common.h"

#include <vector>

namespace ns {

class Cls {
public:
	explicit Cls(int v);
	void method(int v);
private:
	int value;
};

Cls::Cls(int v) : value(v)
{
	sym_pc("constructor");
}

void Cls::method(int v)
{
	sym_pc("method");
	value += v;
}

}  // namespace ns

template <typename T>
T twice(T x)
{
	sym_pc("template");
	return x + x;
}

// An allocator that reports who called it: libstdc++'s vector code.
template <typename T>
struct ReportingAllocator {
	typedef T value_type;
	ReportingAllocator() = default;
	T *allocate(std::size_t n)
	{
		sym_print("allocate-caller", __builtin_return_address(0));
		return static_cast<T *>(::operator new(n * sizeof(T)));
	}
	void deallocate(T *p, std::size_t) { ::operator delete(p); }
};

int main()
{
	sym_print_modules();
	ns::Cls c(1);
	c.method(2);
	twice(3);
	auto lambda = [](int x) { sym_pc("lambda"); return x; };
	lambda(4);
	std::vector<int, ReportingAllocator<int> > v;
	v.push_back(5);
	return 0;
}
