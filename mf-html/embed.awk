# embed.awk FILE... - print C source defining one string per file:
# mf-html/page.css becomes "const char mf_page_css[]".  Every byte is kept:
# backslash, quote and '?' (trigraphs) are escaped, each line ends in \n.
function flush_file() {
	if (name != "")
		print ";"
}
FNR == 1 {
	flush_file()
	name = FILENAME
	sub(/.*\//, "", name)
	gsub(/[^A-Za-z0-9]/, "_", name)
	name = "mf_" name
	print "const char " name "[] ="
	print "\t\"\""
}
{
	# Character by character: gsub's treatment of backslashes in the
	# replacement differs between awks.
	line = ""
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
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
