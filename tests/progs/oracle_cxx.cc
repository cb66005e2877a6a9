// oracle_cxx.cc - C++ containers churning (strings, an unordered_map of
// vectors, a map, over-aligned objects, new[]), for tests/oracle.bats, which
// checks mf's figures of it against memcheck's and heaptrack's.  One
// std::string is left allocated at exit on purpose.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

// Allocated by operator new(size, align_val_t): libstdc++'s calls aligned_alloc,
// which mf records; valgrind replaces the operator itself.
struct alignas(64) Line {
	char bytes[64];
};

int main()
{
	std::unordered_map<std::string, std::vector<int>> index;
	std::map<int, std::string> names;
	std::vector<std::unique_ptr<Line>> lines;
	for (int i = 0; i < 3000; i++) {
		std::string key = "key-" + std::to_string(i * 7919 % 1000) + std::string(i % 40, 'x');
		index[key].push_back(i);
		if (i % 3 == 0)
			names[i] = key + key;
		if (i % 10 == 0)
			lines.push_back(std::make_unique<Line>());
		if (i % 500 == 499) {
			names.clear();
			lines.resize(lines.size() / 2);
		}
	}
	int *scratch = new int[1000];
	scratch[0] = (int)index.size();
	std::printf("%d %zu %zu\n", scratch[0], names.size(), lines.size());
	delete[] scratch;
	new std::string(200, 'l');
	return 0;
}
