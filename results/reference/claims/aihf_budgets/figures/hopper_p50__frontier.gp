set terminal pngcairo size 1000,608 font "DejaVu Sans,11"
set output "./figures/hopper_p50__frontier.png"
set termoption noenhanced
set border lw 1 lc rgb "#444444"
set grid xtics ytics lw 1 lc rgb "#e5e5e5"
set tics nomirror out
set border 3
unset key
set multiplot title "hopper_p50: evaluation return against KL to the reference, mean over seeds at each evaluation"
set origin 0, 0.101974
set size 1, 0.842105
set xlabel "KL to the reference, k3 estimate (nats per completion)"
set ylabel "evaluation return (eval/return_mean)"
set xrange [0:5e+10]
set yrange [0:1400]
plot "./figures/hopper_p50__frontier__aihf.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#0072B2", \
     "./figures/hopper_p50__frontier__aihf.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#0072B2", \
     "./figures/hopper_p50__frontier__aihf_dpo.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#E69F00", \
     "./figures/hopper_p50__frontier__aihf_dpo.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#E69F00", \
     "./figures/hopper_p50__frontier__dpo.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#009E73", \
     "./figures/hopper_p50__frontier__dpo.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#009E73", \
     "./figures/hopper_p50__frontier__rlhf.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#D55E00", \
     "./figures/hopper_p50__frontier__rlhf.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#D55E00", \
     "./figures/hopper_p50__frontier__start.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#CC79A7", \
     "./figures/hopper_p50__frontier__start.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#CC79A7", \
     "./figures/hopper_p50__frontier__oracle.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#56B4E9", \
     "./figures/hopper_p50__frontier__oracle.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#56B4E9"
set origin 0, 0
set size 1, 0.101974
unset border
unset tics
unset grid
unset xlabel
unset ylabel
set xrange [0:1]
set yrange [0:1]
set lmargin 0
set rmargin 0
set tmargin 0
set bmargin 0
set key center center horizontal maxcols 4 reverse Left samplen 3 width 3
plot -1 with lines notitle, keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#0072B2" title "aihf (5 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#E69F00" title "aihf_dpo (5 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#009E73" title "dpo (5 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#D55E00" title "rlhf (5 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#CC79A7" title "start (5 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#56B4E9" title "oracle (5 seeds)"
unset multiplot
unset output
