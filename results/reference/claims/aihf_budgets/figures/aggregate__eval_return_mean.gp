set terminal pngcairo size 900,380 font "DejaVu Sans,11"
set output "./figures/aggregate__eval_return_mean.png"
set termoption noenhanced
set border lw 1 lc rgb "#444444"
set grid xtics ytics lw 1 lc rgb "#e5e5e5"
set tics nomirror out
set border 3
unset key
set border 1
set grid noytics
set ytics scale 0
set yrange [0.4:4.6]
set multiplot layout 1,2 title "Aggregate evaluation return over 3 tasks, 95% stratified bootstrap CIs"
set xrange [-2:6]
set xtics 2
set arrow 1 from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb "#888888"
set xlabel "normalized mean"
plot "./figures/aggregate__eval_return_mean.dat" using 4:1:5:6:3:ytic(2) with xerrorbars pt 7 ps 1.3 lw 3 lc rgb variable
set xlabel "normalized IQM"
set format y ""
plot "./figures/aggregate__eval_return_mean.dat" using 7:1:8:9:3 with xerrorbars pt 7 ps 1.3 lw 3 lc rgb variable
unset multiplot
unset output
