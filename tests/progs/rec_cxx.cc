// rec_cxx.cc - C++ new and delete, scalar and array: recorded as the malloc
// operator new calls, with the operator new frame in the stack.
#include <string>
#include <vector>

struct Widget {
	char payload[4000];
};

static Widget *make_widget()
{
	return new Widget();	// MARK: new Widget
}

int main()
{
	Widget *w = make_widget();
	int *numbers = new int[1000];	// MARK: new int[]
	delete[] numbers;
	delete w;
	return 0;
}
