#!/bin/sh
# 2000 mkdirs at 1/50/200 threads: plain v2 parent vs a parent the fast pool serves.
R=/sys/fs/cgroup
withheld() { echo $(( $(sed -n 's/^nr_descendants //p' $R/pool/cgroup.stat) - $(find $R/pool -mindepth 1 -maxdepth 1 -type d | wc -l) )); }
insmod /rund/modules/rund_cgpool.ko mkdir_reserve=2000 || exit 1
echo "+cpu +cpuset +memory +pids +io" > $R/cgroup.subtree_control
for d in plain pool; do mkdir $R/$d; echo "+cpu +cpuset +memory +pids +io" > $R/$d/cgroup.subtree_control; done
/rund/bin/rund-cgpool setup $R/pool --size 1 --low 0 --mkdir || exit 1
for rep in 1 2 3; do
	for t in 1 50 200; do
		i=0; while [ "$(withheld)" -lt 2000 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
		echo "# withheld before run: $(withheld)"
		/rund/bin/cgroup_ops --dir $R/pool --op mkdir -n 2000 -t $t --label v2-pool | sed 's/^/bench: /'
		/rund/bin/cgroup_ops --dir $R/plain --op mkdir -n 2000 -t $t --label v2-plain | sed 's/^/bench: /'
	done
done
echo "ok 1 poolbench"
