# bench/plots.gp -- the plots of `make bench`, drawn from the medians that
# bench/report.js writes (tcp.dat, concurrency.dat, udp.dat, c10k.dat; see their first line).
#
#   gnuplot -e "dir='build/bench'" bench/plots.gp
#
# A missing .dat file skips its plots.
if (!exists("dir")) dir = 'build/bench'
have(f) = system(sprintf("test -s '%s/%s' && echo 1 || echo 0", dir, f)) eq "1"

set terminal pngcairo size 960,640 font ",11" noenhanced
set grid lc rgb "#dddddd"
set key top left box opaque Left reverse
color(i) = i == 0 ? 0x1f77b4 : i == 1 ? 0xd62728 : 0x888888   # C++, Node, iperf3 bars
set style line 1 lc rgb "#1f77b4" lw 2 pt 7 ps 1.2      # C++
set style line 2 lc rgb "#d62728" lw 2 pt 5 ps 1.2      # Node
set style line 3 lc rgb "#555555" lw 2 pt 9 ps 1.2 dt 2 # iperf3
set style line 4 lc rgb "#1f77b4" lw 1.5 pt 6 ps 1.2 dt 3
set style line 5 lc rgb "#d62728" lw 1.5 pt 4 ps 1.2 dt 3
set style line 6 lc rgb "#999999" lw 1 dt 4

if (have("tcp.dat")) {
  f = dir."/tcp.dat"
  stats f u 1 nooutput
  set xrange [STATS_min / 1.4 : STATS_max * 1.4]
  set logscale xy
  set xlabel "upload size (MiB)"
  set xtics (1, 4, 16, 64, 256, 1024)

  set output dir."/tcp-time.png"
  set title "TCP upload, lessons 01+02 vs server.js+client.js (median; lower is better)"
  set ylabel "time (s)"
  set format y "%g"
  set key bottom right
  plot f u 1:2 w lp ls 1 t "C++: client start to saved", \
       f u 1:3 w lp ls 2 t "Node: client start to saved", \
       f u 1:5 w lp ls 4 t "C++: connected to saved", \
       f u 1:6 w lp ls 5 t "Node: connected to saved", \
       f u 1:4 w lp ls 3 t "iperf3, same bytes (ceiling)"

  set output dir."/tcp-throughput.png"
  set title "TCP upload throughput (median; higher is better)"
  set ylabel "MiB/s"
  plot f u 1:($1/$4) w lp ls 3 t "iperf3 loopback (ceiling)", \
       f u 1:($1/$5) w lp ls 4 t "C++: connected to saved", \
       f u 1:($1/$6) w lp ls 5 t "Node: connected to saved", \
       f u 1:($1/$2) w lp ls 1 t "C++: client start to saved", \
       f u 1:($1/$3) w lp ls 2 t "Node: client start to saved"

  set output dir."/tcp-rss.png"
  set title "TCP server peak RSS (VmHWM, median; lower is better)"
  set ylabel "peak RSS (MiB)"
  set key top left
  plot f u 1:7 w lp ls 1 t "C++ lesson 01", \
       f u 1:8 w lp ls 2 t "Node server.js", \
       f u 1:1 w l ls 6 t "the upload's size"
  unset logscale
  unset xtics
  set xtics
  set autoscale x
}

if (have("concurrency.dat")) {
  f = dir."/concurrency.dat"
  set output dir."/concurrency.png"
  set terminal pngcairo size 1200,900 font ",11" noenhanced
  set multiplot layout 2,2 title "N clients uploading at once to lesson 01 (C++) and server.js (Node); same load generator; medians"
  set logscale x
  set xrange [0.7:1500]
  set xtics (1, 10, 100, 1000)
  set xlabel "clients at once"
  set key top left
  set logscale y
  set format y "%g"

  set title "burst: time until all saved (s)"
  set ylabel "s"
  plot f u 1:2 w lp ls 1 t "C++", f u 1:3 w lp ls 2 t "Node", f u 1:6 w lp ls 3 t "iperf3, same bytes"

  set title "held (all connected, then all upload): time until all saved (s)"
  plot f u 1:4 w lp ls 1 t "C++", f u 1:5 w lp ls 2 t "Node", f u 1:6 w lp ls 3 t "iperf3, same bytes"

  set title "burst: server peak RSS (MiB)"
  set ylabel "MiB"
  plot f u 1:7 w lp ls 1 t "C++", f u 1:8 w lp ls 2 t "Node"

  set title "burst: server CPU time, user + system (s)"
  set ylabel "s"
  unset logscale y
  set yrange [0:*]
  plot f u 1:9 w lp ls 1 t "C++", f u 1:10 w lp ls 2 t "Node"
  unset multiplot
  unset logscale
  set autoscale
  unset xtics
  set xtics
  set terminal pngcairo size 960,640 font ",11" noenhanced
}

if (have("udp.dat")) {
  f = dir."/udp.dat"
  set output dir."/udp.png"
  set terminal pngcairo size 1100,560 font ",11" noenhanced
  set multiplot layout 1,2 title "UDP flood on loopback: lesson 03 (C++) vs server.js (Node), iperf3 as the ceiling (medians)"
  set style fill solid 0.8 border -1
  set boxwidth 0.6
  unset key
  set xrange [-0.6:2.6]
  set xlabel ""

  set title "datagrams per second received (and saved)"
  set logscale y
  set yrange [100:*]
  set ylabel "datagrams/s (log scale)"
  plot f u 0:2:(color($0)):xtic(1) w boxes lc rgb variable, \
       f u 0:2:(sprintf("%.0f", $2)) w labels offset 0,1

  set title "share of the datagrams sent that were received (and saved)\n(iperf3 uses its own, faster sender: no ceiling here)"
  unset logscale y
  set yrange [0:110]
  set ytics 0,20,100
  set ylabel "%"
  plot f u 0:3:(color($0)):xtic(1) w boxes lc rgb variable, \
       f u 0:3:(sprintf("%.1f%%", $3)) w labels offset 0,1
  unset multiplot
}

if (have("c10k.dat")) {
  # C10K (issue 18, item 3). Columns: n, then for poll (2-6), epoll (7-11), node (12-16):
  # RTT median (us), RTT p99 (us), server CPU per round trip (us), accept seconds, RSS MiB.
  f = dir."/c10k.dat"
  set output dir."/c10k.png"
  set terminal pngcairo size 1680,560 font ",11" noenhanced
  set multiplot layout 1,3 title "N idle connections, one active: echo round trips of 64 B (medians; lower is better)"
  set autoscale
  stats f u 1 nooutput
  set xrange [STATS_min / 1.5 : STATS_max * 1.5]
  set logscale xy
  set format x "%g"
  set format y "%g"
  set xlabel "idle connections (log scale)"
  set key top left box opaque
  set style line 11 lc rgb "#ff7f0e" lw 2 pt 9 ps 1.2     # kit, poll
  set style line 12 lc rgb "#1f77b4" lw 2 pt 7 ps 1.2     # kit, epoll
  set style line 13 lc rgb "#d62728" lw 2 pt 5 ps 1.2     # Node

  set title "round-trip time, median (us)"
  set ylabel "us (log scale)"
  plot f u 1:2 w lp ls 11 t "kit, poll(2)", f u 1:7 w lp ls 12 t "kit, epoll(7)", f u 1:12 w lp ls 13 t "Node (libuv, epoll)"

  set title "server CPU time per round trip (us)"
  plot f u 1:4 w lp ls 11 t "kit, poll(2)", f u 1:9 w lp ls 12 t "kit, epoll(7)", f u 1:14 w lp ls 13 t "Node (libuv, epoll)"

  set title "time to accept all N (s)"
  set ylabel "s (log scale)"
  plot f u 1:5 w lp ls 11 t "kit, poll(2)", f u 1:10 w lp ls 12 t "kit, epoll(7)", f u 1:15 w lp ls 13 t "Node (libuv, epoll)"
  unset multiplot
  unset logscale
}

# Lesson 06 (bench/upload-bench.js): the five columns' throughput and the servers' peak
# RSS against the upload's size.
if (have("upload.dat")) {
  f = dir."/upload.dat"
  stats f u 1 nooutput
  set output dir."/upload.png"
  set terminal pngcairo size 1200,560 font ",11" noenhanced
  set multiplot layout 1,2 title "Lesson 06 upload on loopback, tmpfs, fsync off (medians)"
  set logscale x 2
  set xrange [STATS_min / 1.4 : STATS_max * 1.4]
  set xlabel "upload size (MiB)"
  set xtics (4, 16, 64, 256, 1024, 4096)
  set key top left box opaque Left reverse
  set title "throughput, client start to answer (MiB/s; higher is better)"
  set ylabel "MiB/s"
  set logscale y
  set format y "%g"
  plot f u 1:2 w lp ls 1 t "(a) lesson 06, framed + SHA-256", \
       f u 1:3 w lp ls 4 t "(b) lesson 06 server, raw", \
       f u 1:4 w lp ls 2 t "(c) Node twin", \
       f u 1:5 w lp lc rgb "#2ca02c" lw 2 pt 11 t "(d) floor (bare C)", \
       f u 1:6 w lp ls 3 t "(e) iperf3, memory to memory"
  set title "server peak RSS (VmHWM, MiB; the goal: under 16)"
  set ylabel "MiB"
  plot f u 1:7 w lp ls 1 t "(a) lesson 06, framed", \
       f u 1:8 w lp ls 4 t "(b) lesson 06, raw", \
       f u 1:9 w lp ls 2 t "(c) Node twin", \
       f u 1:10 w lp lc rgb "#2ca02c" lw 2 pt 11 t "(d) floor", \
       16 w l ls 6 t "16 MiB"
  unset multiplot
  unset logscale
  set autoscale
  unset xtics
  set xtics
  set terminal pngcairo size 960,640 font ",11" noenhanced
}
