set terminal pngcairo size 900,494 font "DejaVu Sans,11"
set output "./figures/hopper_p50__eval_sampled_return_mean__gradient_steps.png"
set termoption noenhanced
set border lw 1 lc rgb "#444444"
set grid xtics ytics lw 1 lc rgb "#e5e5e5"
set tics nomirror out
set border 3
unset key
set multiplot title "hopper_p50: sampled-action return of the offline learners against gradient steps"
set ylabel "sampled-action return"
set origin 0, 0.0769231
set size 1, 0.854251
set yrange [50:400]
set xlabel "gradient steps"
set xrange [0:*]
set autoscale xfixmax
plot "./figures/hopper_p50__eval_sampled_return_mean__gradient_steps__aihf_dpo.dat" using ($1/1):3:4 with filledcurves fc rgb "#E69F00" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p50__eval_sampled_return_mean__gradient_steps__aihf_dpo.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#E69F00", \
     "./figures/hopper_p50__eval_sampled_return_mean__gradient_steps__dpo.dat" using ($1/1):3:4 with filledcurves fc rgb "#009E73" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p50__eval_sampled_return_mean__gradient_steps__dpo.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#009E73"
set origin 0, 0
set size 1, 0.0769231
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
plot -1 with lines notitle, keyentry with lines lw 2.5 dt 1 lc rgb "#E69F00" title "aihf_dpo (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#009E73" title "dpo (5 seeds)"
unset multiplot
unset output
