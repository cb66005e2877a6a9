# embed.awk FILE... - print C source defining one string per file:
# mf-html/page.css becomes "const char mf_page_css[]".  Backslash, quote
# and '?' (trigraphs) are escaped, each line ends in \n.
#
# The script and style are shipped without what only their readers need,
# so every page is smaller (and parsed faster) while the sources stay
# commented and indented: in a .js or .css file, leading blanks, blank
# lines, comments that start a line (/* ... */ over any lines, and // in
# JavaScript) and a /* ... */ that ends a line after code (when the code
# before it has no quote open, and the comment has no '*' inside) go.
# That is safe for this code: no string spans lines, so a line starts in
# code or inside a comment, and " /*" outside a string always opens one
# (a regular expression cannot hold an unescaped '/').  Every line break
# of code stays, so automatic semicolons do not change.  Other files
# (page.html) are kept byte for byte.
function flush_file() {
	if (name != "")
		print ";"
}
# Whether text has an even number of both quotes: no string left open.
function quotes_closed(text,   t) {
	t = text
	if (gsub(/'/, "", t) % 2)
		return 0
	return gsub(/"/, "", t) % 2 == 0
}
# The line without what strip_code removes; "" when nothing is left.
function strip_code(line,   i) {
	if (in_comment) {
		i = index(line, "*/")
		if (!i)
			return ""
		line = substr(line, i + 2)
		in_comment = 0
	}
	sub(/^[ \t]+/, "", line)
	if (js && line ~ /^\/\//)
		return ""
	while (substr(line, 1, 2) == "/*") {
		i = index(substr(line, 3), "*/")
		if (!i) {
			in_comment = 1
			return ""
		}
		line = substr(line, i + 4)
		sub(/^[ \t]+/, "", line)
	}
	if (match(line, /[ \t]+\/\*[^*]*\*\/[ \t]*$/) && quotes_closed(substr(line, 1, RSTART - 1)))
		line = substr(line, 1, RSTART - 1)
	return line
}
FNR == 1 {
	flush_file()
	name = FILENAME
	sub(/.*\//, "", name)
	gsub(/[^A-Za-z0-9]/, "_", name)
	name = "mf_" name
	js = FILENAME ~ /\.js$/
	strip = js || FILENAME ~ /\.css$/
	in_comment = 0
	print "const char " name "[] ="
	print "\t\"\""
}
{
	text = $0
	if (strip) {
		text = strip_code(text)
		if (text == "")
			next
	}
	# Character by character: gsub's treatment of backslashes in the
	# replacement differs between awks.
	line = ""
	for (i = 1; i <= length(text); i++) {
		c = substr(text, i, 1)
		if (c == "\\" || c == "\"" || c == "?")
			line = line "\\" c
		else if (c == "\t")
			line = line "\\t"
		else
			line = line c
	}
	print "\t\"" line "\\n\""
}
END {
	flush_file()
}
