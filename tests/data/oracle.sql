-- tests/oracle.bats: sqlite3 :memory: runs this under mf, memcheck and massif.
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO t SELECT i, printf('name-%d', i * 7919 % 2000), i * 0.5 FROM n;
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(v), max(name) FROM t;
SELECT name, count(*) FROM t GROUP BY substr(name, 1, 7) ORDER BY 2 DESC LIMIT 3;
DELETE FROM t WHERE id % 3 = 0;
SELECT group_concat(name, ',') IS NOT NULL FROM t;
