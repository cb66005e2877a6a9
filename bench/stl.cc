// bench/stl.cc - a translation unit that includes much of the C++ standard
// library, for bench/html.sh to record a compiler run of (clang++
// -fsyntax-only, else g++): a real program's allocations, with long
// demangled names and many distinct frames.
#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <bitset>
#include <chrono>
#include <complex>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <queue>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stack>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <valarray>
#include <variant>
#include <vector>

template <typename K, typename V>
std::map<K, std::vector<V>> group(const std::vector<std::pair<K, V>> &in)
{
	std::map<K, std::vector<V>> out;
	for (const auto &[k, v] : in)
		out[k].push_back(v);
	return out;
}

int main()
{
	std::vector<std::pair<std::string, int>> words{{"a", 1}, {"b", 2}, {"a", 3}};
	auto g = group(words);
	std::unordered_map<std::string, std::set<int>> idx;
	for (auto &[k, v] : g)
		idx[k].insert(v.begin(), v.end());
	std::regex re("[a-z]+");
	std::variant<int, std::string, std::optional<double>> var = std::string("x");
	std::mt19937 rng(42);
	std::ostringstream os;
	os << std::setw(4) << std::accumulate(words.begin(), words.end(), 0,
		[](int s, const auto &p) { return s + p.second; }) << std::get<std::string>(var) << rng();
	auto fut = std::async(std::launch::deferred, [&] { return os.str().size(); });
	return static_cast<int>(fut.get() + std::regex_match("abc", re) + idx.size()) & 1;
}
