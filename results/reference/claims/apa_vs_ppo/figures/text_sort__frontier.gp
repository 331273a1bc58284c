set terminal pngcairo size 1000,584 font "DejaVu Sans,11"
set output "./figures/text_sort__frontier.png"
set termoption noenhanced
set border lw 1 lc rgb "#444444"
set grid xtics ytics lw 1 lc rgb "#e5e5e5"
set tics nomirror out
set border 3
unset key
set multiplot title "text_sort: gold reward against KL to the reference, mean over seeds at each evaluation"
set origin 0, 0.0650685
set size 1, 0.876712
set xlabel "KL to the reference, k3 estimate (nats per completion)"
set ylabel "gold reward (eval/return_mean)"
set xrange [0:3.5]
set yrange [0.6:1]
plot "./figures/text_sort__frontier__ppo.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#0072B2", \
     "./figures/text_sort__frontier__ppo.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#0072B2", \
     "./figures/text_sort__frontier__apa.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#E69F00", \
     "./figures/text_sort__frontier__apa.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#E69F00", \
     "./figures/text_sort__frontier__start.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#009E73", \
     "./figures/text_sort__frontier__start.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#009E73", \
     "./figures/text_sort__frontier__oracle.dat" index 0 using 1:2 with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#D55E00", \
     "./figures/text_sort__frontier__oracle.dat" index 1 using 1:2 with points pt 7 ps 2.2 lc rgb "#D55E00"
set origin 0, 0
set size 1, 0.0650685
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
plot -1 with lines notitle, keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#0072B2" title "ppo (10 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#E69F00" title "apa (10 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#009E73" title "start (10 seeds)", keyentry with linespoints lw 2 pt 7 ps 0.9 dt 1 lc rgb "#D55E00" title "oracle (10 seeds)"
unset multiplot
unset output
